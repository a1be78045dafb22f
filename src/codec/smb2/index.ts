/** SMB2/3 codecs (MS-SMB2): header, NEGOTIATE, SESSION_SETUP, ERROR, transform headers. */
export * from './constants.js';
export * from './guid.js';
export * from './header.js';
export * from './negotiate-contexts.js';
export * from './negotiate.js';
export * from './session-setup.js';
export * from './error.js';
export * from './message.js';
export * from './json.js';
