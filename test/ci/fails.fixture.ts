// Run only by exit-code.test.ts (its name does not match the suite's `*.test.ts`): one
// failing test, to show that a failure fails the run.
it('fails on purpose', () => {
  expect(1).toBe(2);
});
