import { ConfChange, ConfState } from './types';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeConfChange(cc: ConfChange): Uint8Array {
  return encoder.encode(JSON.stringify(cc));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const cc = JSON.parse(decoder.decode(data)) as ConfChange;
  if (cc && cc.result && (!Array.isArray(cc.result.voters) || !Array.isArray(cc.result.learners))) {
    throw new Error('raft: malformed configuration in change entry');
  }
  if (
    !cc ||
    typeof cc.node !== 'string' ||
    !['addVoter', 'addLearner', 'remove'].includes(cc.type)
  ) {
    throw new Error('raft: malformed configuration change entry');
  }
  return cc;
}

/** The configuration after one single-server change; pure so that every member computes the same. */
export function applyConfChange(conf: ConfState, cc: ConfChange): ConfState {
  const voters = conf.voters.filter((id) => id !== cc.node);
  const learners = conf.learners.filter((id) => id !== cc.node);
  if (cc.type === 'addVoter') voters.push(cc.node);
  else if (cc.type === 'addLearner') {
    // Demoting a voter to learner is a two-step change elsewhere; here a voter stays a voter.
    if (conf.voters.includes(cc.node)) voters.push(cc.node);
    else learners.push(cc.node);
  }
  const addresses = { ...(conf.addresses ?? {}) };
  if (cc.type === 'remove') delete addresses[cc.node];
  else if (cc.address) addresses[cc.node] = cc.address;
  const out: ConfState = { voters: voters.sort(), learners: learners.sort() };
  if (Object.keys(addresses).length > 0) out.addresses = addresses;
  return out;
}

/** Why a change cannot be proposed against `conf`, or undefined when it can. */
export function validateConfChange(conf: ConfState, cc: ConfChange): string | undefined {
  if (!cc.node) return 'a configuration change needs a node';
  const isVoter = conf.voters.includes(cc.node);
  const isLearner = conf.learners.includes(cc.node);
  if (cc.type === 'addVoter' && isVoter) return `${cc.node} is already a voter`;
  if (cc.type === 'addLearner' && (isVoter || isLearner)) return `${cc.node} is already a member`;
  if (cc.type === 'remove' && !isVoter && !isLearner) return `${cc.node} is not a member`;
  if (cc.type === 'remove' && isVoter && conf.voters.length === 1)
    return 'cannot remove the last voter';
  return undefined;
}
