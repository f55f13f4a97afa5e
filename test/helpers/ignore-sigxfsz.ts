// Preloaded into the agent by full-disk.ts (`rlimit-fsize`): Node ignores SIGXFSZ, so a write past
// RLIMIT_FSIZE fails with EFBIG; but the test runner's process tracking, injected into child
// processes, catches every signal and re-raises it, which would kill the agent instead. A listener
// of our own keeps Node's usual behaviour.
process.on('SIGXFSZ', () => undefined);
export {};
