// The pure recognition policies: no I/O, no bus. The recognizer, the trainer and `persona eval selflearn` run this code.
export * from "./clustering.ts";
export * from "./growthPolicy.ts";
export * from "./oneShot.ts";
export * from "./trackVote.ts";
export * from "./voteOptions.ts";
