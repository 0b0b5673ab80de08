export { createVoter, voterStep, VoterInputError, type VoterConfig, type VoterState, type VoterStepResult } from './voter.js';
export type { RackEval } from './rack.js';
export * from './types.js';
