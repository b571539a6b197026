// The app's own message types: the test server echoes `echo` frames back as they are.
export type Echo = { type: 'echo'; from: string };

export const wsUrl = `ws://${location.host}/ws`;
