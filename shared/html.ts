/**
 * Text made safe in HTML, between tags and in quoted attributes: & < > " ' become numeric character
 * references. The one escape of alert e-mails and report e-mails. Pure; imports nothing.
 */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
