// Types for workloadProgram.mjs (plain JavaScript so a PTY runs it with node directly).
export function mixedBlock(targetBytes?: number): string;
