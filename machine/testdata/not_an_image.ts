// A module without a kernel image as its default export, for the test of
// what an AP's Worker says then.
export const nothing = 0;
