/** A failure the user can act on (bad setup, missing hardware): the CLI prints its message alone, no stack. */
export class ExpectedError extends Error {}
