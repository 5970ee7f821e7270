import { vi } from "vitest";

/** Console methods that a Worker can write log lines with. */
const CONSOLE_METHODS = ["debug", "info", "log", "warn", "error"] as const;

export type ConsoleMethod = (typeof CONSOLE_METHODS)[number];

export interface ConsoleLine {
  method: ConsoleMethod;
  text: string;
}

/**
 * Records every console line written in this isolate, which contains the test,
 * the Worker and its Durable Objects, until `stop` is called. Lines are kept
 * in memory and not printed.
 */
export function captureConsole(): { lines: ConsoleLine[]; stop: () => void } {
  const lines: ConsoleLine[] = [];
  const spies = CONSOLE_METHODS.map((method) =>
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push({ method, text: args.map(formatArgument).join(" ") });
    }),
  );
  return {
    lines,
    stop: () => {
      for (const spy of spies) {
        spy.mockRestore();
      }
    },
  };
}

/** Formats one console argument as the runtime would print it, near enough to search in. */
export function formatArgument(argument: unknown): string {
  if (typeof argument === "string") {
    return argument;
  }
  if (argument instanceof Error) {
    return `${argument.name}: ${argument.message}\n${argument.stack ?? ""}`;
  }
  try {
    return JSON.stringify(argument) ?? String(argument);
  } catch {
    return String(argument);
  }
}
