/** SMB1 (CIFS) codecs: header, NEGOTIATE, SESSION_SETUP_ANDX, transaction headers, AndX chains. */
export * from './constants.js';
export * from './header.js';
export * from './andx.js';
export * from './negotiate.js';
export * from './session-setup.js';
export * from './trans.js';
