package webhook

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// The example of the Standard Webhooks specification (and its reference
// libraries' tests): this secret, id, timestamp and body sign to this.
const (
	specSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTimestamp = 1614265330
	specBody      = `{"test": 2432232314}`
	specSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignMatchesSpecVector(t *testing.T) {
	got, err := Sign(specSecret, specID, time.Unix(specTimestamp, 0), []byte(specBody))
	if err != nil {
		t.Fatal(err)
	}
	if got != specSignature {
		t.Fatalf("Sign = %s, want %s", got, specSignature)
	}
	// Without the prefix too, as other libraries accept.
	if got, _ := Sign(specSecret[len(SecretPrefix):], specID, time.Unix(specTimestamp, 0), []byte(specBody)); got != specSignature {
		t.Fatalf("Sign without prefix = %s", got)
	}
}

func specHeaders() http.Header {
	h := http.Header{}
	h.Set(HeaderID, specID)
	h.Set(HeaderTimestamp, strconv.Itoa(specTimestamp))
	h.Set(HeaderSignature, specSignature)
	return h
}

func TestVerify(t *testing.T) {
	at := time.Unix(specTimestamp, 0)
	if id, err := Verify(specSecret, specHeaders(), []byte(specBody), at.Add(time.Minute), 0); err != nil || id != specID {
		t.Fatalf("spec vector: %q %v", id, err)
	}
	cases := []struct {
		name   string
		secret string
		edit   func(http.Header)
		body   string
		now    time.Time
		want   error
	}{
		{"tampered body", specSecret, nil, `{"test": 2432232315}`, at, ErrNoMatch},
		{"tampered timestamp", specSecret, func(h http.Header) { h.Set(HeaderTimestamp, strconv.Itoa(specTimestamp+1)) }, specBody, at, ErrNoMatch},
		{"tampered id", specSecret, func(h http.Header) { h.Set(HeaderID, specID+"x") }, specBody, at, ErrNoMatch},
		{"other secret", NewSecret(), nil, specBody, at, ErrNoMatch},
		{"too old", specSecret, nil, specBody, at.Add(6 * time.Minute), ErrBadTimestamp},
		{"too new", specSecret, nil, specBody, at.Add(-6 * time.Minute), ErrBadTimestamp},
		{"bad timestamp", specSecret, func(h http.Header) { h.Set(HeaderTimestamp, "soon") }, specBody, at, ErrBadTimestamp},
		{"no signature", specSecret, func(h http.Header) { h.Del(HeaderSignature) }, specBody, at, ErrMissingHeaders},
		{"wrong version", specSecret, func(h http.Header) { h.Set(HeaderSignature, "v2,"+specSignature[3:]) }, specBody, at, ErrNoMatch},
		{"bad secret", "whsec_!!!", nil, specBody, at, ErrBadSecret},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := specHeaders()
			if c.edit != nil {
				c.edit(h)
			}
			if _, err := Verify(c.secret, h, []byte(c.body), c.now, 0); !errors.Is(err, c.want) {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
		})
	}
	// Several signatures (a rotation): one matching is enough.
	h := specHeaders()
	h.Set(HeaderSignature, "v1,AAAA"+specSignature[7:]+" "+specSignature)
	if _, err := Verify(specSecret, h, []byte(specBody), at, 0); err != nil {
		t.Fatalf("second signature not accepted: %v", err)
	}
}

func TestSetHeadersRoundTrip(t *testing.T) {
	s := NewSecret()
	if len(s) != len(SecretPrefix)+44 {
		t.Fatalf("secret %d chars", len(s))
	}
	now := time.Now()
	h := http.Header{}
	body := []byte(`{"id":"job_1","status":"succeeded"}`)
	if err := SetHeaders(h, s, "msg_job_1", now, body); err != nil {
		t.Fatal(err)
	}
	if id, err := Verify(s, h, body, now, time.Second); err != nil || id != "msg_job_1" {
		t.Fatalf("round trip: %q %v", id, err)
	}
}

func TestBackoff(t *testing.T) {
	b := NewBackoff(DefaultRetryBase)
	if got := b.Delay(0, 0.5); got != 5*time.Second {
		t.Errorf("first retry %s", got)
	}
	if got := b.Delay(3, 0.5); got != 40*time.Second {
		t.Errorf("retry 3 %s", got)
	}
	if got := b.Delay(40, 0.5); got != time.Hour {
		t.Errorf("capped retry %s", got)
	}
	if lo, hi := b.Delay(2, 0), b.Delay(2, 0.999); lo != 16*time.Second || hi < 23*time.Second || hi >= 24*time.Second {
		t.Errorf("jitter range [%s, %s]", lo, hi)
	}
	n := b.MaxRetry()
	var total time.Duration
	for i := range n {
		total += b.Delay(i, 0.5)
	}
	if n != 32 || total > DefaultWindow || total < DefaultWindow-2*time.Hour {
		t.Errorf("MaxRetry %d over %s, want 32 retries within a day", n, total)
	}
	if fast := NewBackoff(100 * time.Millisecond); fast.MaxRetry() < n {
		t.Errorf("a smaller base must not shorten the window: %d retries", fast.MaxRetry())
	}
}
