/** The headers of every admin response, whichever path produced it (handler, framework, parser). */
export function adminResponseHeaders(requestId: string): Record<string, string> {
  return {
    'x-request-id': requestId,
    'cache-control': 'no-store',
    'strict-transport-security': 'max-age=31536000',
  };
}
