package httpapi

import "net/http"

// CloseWhileDraining returns h answering with "Connection: close" once
// draining reports true (the gateway got SIGTERM): net/http then closes each
// keep-alive connection right after its answer, and the client, told so,
// opens a new one for its next request, which the load balancer (no longer
// routing to this replica, whose /ready answers 503) sends elsewhere.
// Without it, clients keep their keep-alive connections to the draining
// replica until http.Server.Shutdown closes them as idle, and a request
// written onto a connection as it closes fails: Go's transport (like most
// clients) retries only idempotent requests then, so a POST fails with EOF
// (seen in TestFaults' rolling restart).
func CloseWhileDraining(h http.Handler, draining func() bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if draining() {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}
