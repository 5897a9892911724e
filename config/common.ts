import { LOG_LEVELS } from '../shared/log.js';

export const common = {
  dataDir: {
    doc: 'Directory for the embedded database and local state. One that cannot be written (a read-only '
      + 'filesystem, another owner) stops the command with one line naming the directory and why.',
    format: String,
    default: './data',
    env: 'DATA_DIR',
  },
  log: {
    level: {
      doc: 'Log level: fatal, error, warn, info, debug, trace or silent.',
      format: [...LOG_LEVELS],
      default: 'info',
      env: 'LOG_LEVEL',
    },
  },
};
