// TEMPORARY re-export while tests/browser moves to harness.mjs (removed before this lands).
export { request, runD, startGateway } from './harness.mjs';
export const DBIN = process.env.LATCHKEYD_BIN;
