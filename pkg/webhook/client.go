package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"time"
)

// MaxResponseBytes is how much of a receiver's answer is read (and
// dropped) before the connection is reused or closed.
const MaxResponseBytes = 64 << 10

// UserAgent is sent with every delivery.
const UserAgent = "dfsopt-webhooks/1"

// Resolver looks up the addresses of a host (*net.Resolver).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Client delivers webhook messages, one attempt per call. It follows no
// redirects, uses no proxy, resolves the target's host itself and only
// dials addresses the policy allows (so a name that resolves to a private
// address, or starts to, is refused at delivery), bounds every attempt by
// a timeout and reads at most MaxResponseBytes of the answer.
type Client struct {
	policy  Policy
	timeout time.Duration
	http    *http.Client
}

// NewClient returns a client applying policy, with a per-attempt timeout;
// resolver nil means net.DefaultResolver.
func NewClient(policy Policy, timeout time.Duration, resolver Resolver) *Client {
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	c := &Client{policy: policy, timeout: timeout}
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy: nil, // a proxy would dial on our behalf, past the address check
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return safeDial(ctx, dialer, resolver, policy, network, addr)
		},
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	c.http = &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a 3xx is an answer, not an instruction
		},
	}
	return c
}

// safeDial resolves addr's host, drops the addresses the policy refuses
// and dials the others in turn.
func safeDial(ctx context.Context, d *net.Dialer, r Resolver, p Policy, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("webhook dial %s: %w", addr, err)
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else if addrs, err = r.LookupNetIP(ctx, "ip", host); err != nil {
		return nil, fmt.Errorf("webhook resolve %s: %w", host, err)
	}
	var errs []error
	for _, a := range addrs {
		if err := p.CheckAddr(host, port, a); err != nil {
			errs = append(errs, err)
			continue
		}
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("webhook resolve %s: no addresses", host)
	}
	return nil, errors.Join(errs...)
}

// Message is one webhook event's delivery attempt.
type Message struct {
	// ID is the webhook-id: the same for every attempt of one event.
	ID string
	// Body is the JSON document posted.
	Body []byte
	// Time is the attempt's time (webhook-timestamp).
	Time time.Time
}

// Result is the outcome of one attempt.
type Result struct {
	// Status is the HTTP status answered (0: no answer).
	Status int
	// Duration is how long the attempt took.
	Duration time.Duration
	// Err is why there was no answer, or why the target was refused.
	Err error
}

// Delivered reports a 2xx answer.
func (r Result) Delivered() bool { return r.Status >= 200 && r.Status < 300 }

// Gone reports a 410 answer: the receiver asks for no more deliveries.
func (r Result) Gone() bool { return r.Status == http.StatusGone }

// Deliver posts msg to target, signed with the secrets ("whsec_..."; the
// first is the current one, others are still accepted during a rotation:
// each adds a v1 signature). The URL is checked against the policy first.
func (c *Client) Deliver(ctx context.Context, target string, secrets []string, msg Message) Result {
	start := time.Now()
	res := c.deliver(ctx, target, secrets, msg)
	res.Duration = time.Since(start)
	return res
}

func (c *Client) deliver(ctx context.Context, target string, secrets []string, msg Message) Result {
	if _, err := c.policy.CheckURL(target); err != nil {
		return Result{Err: err}
	}
	if len(secrets) == 0 {
		return Result{Err: ErrBadSecret}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(msg.Body))
	if err != nil {
		return Result{Err: fmt.Errorf("webhook request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	if err := SetHeaders(req.Header, secrets[0], msg.ID, msg.Time, msg.Body); err != nil {
		return Result{Err: err}
	}
	for _, s := range secrets[1:] {
		sig, err := Sign(s, msg.ID, msg.Time, msg.Body)
		if err != nil {
			return Result{Err: err}
		}
		req.Header.Set(HeaderSignature, req.Header.Get(HeaderSignature)+" "+sig)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Result{Err: redact(err)}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponseBytes))
	_ = resp.Body.Close()
	return Result{Status: resp.StatusCode}
}

// redact drops the URL from a client error (*url.Error names it, and a
// webhook URL may carry a token), keeping the cause.
func redact(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) || ue.Err == nil {
		return err
	}
	if ue.Timeout() {
		return fmt.Errorf("timed out: %w", ue.Err)
	}
	return ue.Err
}
