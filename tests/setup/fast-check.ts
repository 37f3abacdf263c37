import fc from 'fast-check';

// Property tests run from one seed, so a failure repeats on the next run and in CI;
// FC_SEED=<n> explores another (fast-check prints the seed of a failing run).
fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261202) });
