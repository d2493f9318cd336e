// Package e2e holds the end-to-end test of dfsopt: it builds the real
// gateway, worker and CLI binaries, starts them against a real redis-server
// on a free port (or, loudly, an in-process miniredis when redis-server is
// not installed), and drives them over HTTP.
//
// Set DFSOPT_E2E_REDIS_SERVER to the redis-server binary to use ("none"
// forces the miniredis fallback), or DFSOPT_E2E_SKIP=1 to skip the test.
package e2e
