import type { ProblemCode } from '../http/problem-codes.ts';

/** Why a credential is refused: a stable `code` for clients and text safe to show anyone. */
export interface AuthFailure {
  /** 401: not authenticated (bad or unknown credential); 403: known but not allowed here; 429: used up. */
  readonly status: 401 | 403 | 429;
  readonly code: ProblemCode;
  readonly detail: string;
}
