package webhook

import (
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

func mustAllowlist(t testing.TB, s string) Allowlist {
	t.Helper()
	a, err := ParseAllowlist(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestCheckURL(t *testing.T) {
	open := Policy{}
	listed := Policy{Allowlist: mustAllowlist(t, "hooks.internal, 127.0.0.1:9000, [::1]:9000, 10.1.2.3, localhost:8080")}
	private := Policy{AllowPrivate: true, Allowlist: listed.Allowlist}
	cases := []struct {
		url    string
		policy Policy
		ok     bool
	}{
		{"https://hooks.example.com/dfs?token=abc", open, true},
		{"https://93.184.216.34/hook", open, true},
		{"https://[2606:4700::1111]/hook", open, true},
		{"https://hooks.example.com:8443/x", open, true},
		{"HTTPS://Hooks.Example.COM/x", open, true},
		// scheme, shape, size
		{"http://hooks.example.com/x", open, false},
		{"ftp://hooks.example.com/x", open, false},
		{"//hooks.example.com/x", open, false},
		{"/relative", open, false},
		{"hooks.example.com/x", open, false},
		{"https:opaque", open, false},
		{"https://user:pw@hooks.example.com/x", open, false},
		{"https://hooks.example.com:0/x", open, false},
		{"https://hooks.example.com:99999/x", open, false},
		{"https://hooks.example.com/" + strings.Repeat("a", MaxURLLength), open, false},
		{"https://%zz/", open, false},
		// IPv4 private, loopback, link-local, unspecified, multicast, reserved
		{"https://127.0.0.1/", open, false},
		{"https://127.8.9.10/", open, false},
		{"https://10.0.0.1/", open, false},
		{"https://172.16.5.4/", open, false},
		{"https://192.168.1.1/", open, false},
		{"https://169.254.169.254/latest/meta-data", open, false},
		{"https://0.0.0.0/", open, false},
		{"https://0.1.2.3/", open, false},
		{"https://100.64.0.1/", open, false},
		{"https://224.0.0.1/", open, false},
		{"https://255.255.255.255/", open, false},
		{"https://198.18.0.1/", open, false},
		// IPv6
		{"https://[::1]/", open, false},
		{"https://[::]/", open, false},
		{"https://[fe80::1]/", open, false},
		{"https://[fe80::1%25eth0]/", open, false},
		{"https://[fc00::1]/", open, false},
		{"https://[fd12:3456::1]/", open, false},
		{"https://[ff02::1]/", open, false},
		{"https://[::ffff:127.0.0.1]/", open, false},
		{"https://[::ffff:7f00:1]/", open, false},
		{"https://[::ffff:10.0.0.1]/", open, false},
		{"https://[64:ff9b::a00:1]/", open, false},    // NAT64 of 10.0.0.1
		{"https://[64:ff9b::5db8:d822]/", open, true}, // NAT64 of 93.184.216.34
		{"https://[2002:a00:1::]/", open, false},      // 6to4 of 10.0.0.1
		// decimal, octal, hex and short IPv4 forms: Go's parser rejects
		// them, some resolvers do not; refused as numeric hosts
		{"https://2130706433/", open, false},
		{"https://0x7f000001/", open, false},
		{"https://0177.0.0.1/", open, false},
		{"https://127.1/", open, false},
		{"https://127.0.0.01/", open, false},
		{"https://0x7f.0.0.1/", open, false},
		{"https://1.2.3.4.5/", open, false},
		{"https://a.0x10/", open, false},
		{"https://a1.b2c/", open, true}, // letters: a name
		// localhost names
		{"https://localhost/", open, false},
		{"https://LOCALHOST./", open, false},
		{"https://api.localhost/", open, false},
		// allow-list: http to listed hosts; private only with AllowPrivate
		{"http://hooks.internal/x", listed, true},
		{"http://hooks.internal:1234/x", listed, true},
		{"http://127.0.0.1:9000/x", listed, false}, // listed, but private without AllowPrivate
		{"http://127.0.0.1:9000/x", private, true},
		{"http://127.0.0.1:9001/x", private, false}, // another port
		{"http://127.0.0.1/x", private, false},
		{"http://[::1]:9000/x", private, true},
		{"http://[0:0::1]:9000/x", private, true},
		{"http://[::ffff:127.0.0.1]:9000/x", private, true}, // the same address, mapped
		{"https://10.1.2.3/x", private, true},
		{"https://10.1.2.4/x", private, false},
		{"http://localhost:8080/x", private, true},
		{"http://localhost:8081/x", private, false},
		{"http://hooks.example.com/x", private, false},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			_, err := c.policy.CheckURL(c.url)
			if (err == nil) != c.ok {
				t.Fatalf("CheckURL(%q) = %v, want ok=%v", c.url, err, c.ok)
			}
			if err != nil {
				var ue *URLError
				if !errors.As(err, &ue) || !errors.Is(err, ErrRefusedTarget) {
					t.Fatalf("error %T is not a *URLError", err)
				}
				if strings.Contains(err.Error(), "token=") {
					t.Fatalf("error names the URL: %v", err)
				}
			}
		})
	}
}

func TestCheckAddr(t *testing.T) {
	p := Policy{AllowPrivate: true, Allowlist: mustAllowlist(t, "hooks.internal:9000")}
	cases := []struct {
		host, port, addr string
		ok               bool
	}{
		{"hooks.example.com", "443", "93.184.216.34", true},
		{"hooks.example.com", "443", "127.0.0.1", false}, // DNS rebinding to loopback
		{"hooks.example.com", "443", "::ffff:169.254.169.254", false},
		{"hooks.example.com", "443", "fd00::1", false},
		{"hooks.internal", "9000", "10.0.0.7", true},
		{"hooks.internal", "9001", "10.0.0.7", false},
	}
	for _, c := range cases {
		err := p.CheckAddr(c.host, c.port, netip.MustParseAddr(c.addr))
		if (err == nil) != c.ok {
			t.Errorf("CheckAddr(%s, %s, %s) = %v, want ok=%v", c.host, c.port, c.addr, err, c.ok)
		}
	}
	if err := (Policy{}).CheckAddr("hooks.internal", "9000", netip.MustParseAddr("10.0.0.7")); err == nil {
		t.Error("private address allowed without AllowPrivate")
	}
}

func TestParseAllowlist(t *testing.T) {
	a, err := ParseAllowlist(" Hooks.Internal. ,127.0.0.1:9000,[::1]:8080,::1,, ")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"hooks.internal", "127.0.0.1:9000", "[::1]:8080", "::1"}
	if len(a) != len(want) {
		t.Fatalf("%v", a)
	}
	for i, e := range a {
		if e.String() != want[i] {
			t.Errorf("entry %d = %s, want %s", i, e, want[i])
		}
	}
	for _, bad := range []string{"http://x", "x:0", "x:70000", "x:y", "[::1", "a/b", "user@x", ":80", "1:2:3"} {
		if _, err := ParseAllowlist(bad); err == nil {
			t.Errorf("ParseAllowlist(%q) accepted", bad)
		}
	}
}

// FuzzCheckURL: whatever the input, CheckURL does not panic, and a URL it
// accepts is an absolute http(s) URL within the length limit, without
// credentials, whose literal address (if any) is public.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://hooks.example.com/x", "http://127.0.0.1:9000/", "https://[::ffff:10.0.0.1]/",
		"https://2130706433/", "https://[fe80::1%25eth0]/", "https://user@h/", "https://localhost./", "ftp://x", ""} {
		f.Add(s)
	}
	p := Policy{}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := p.CheckURL(raw)
		if err != nil {
			var ue *URLError
			if !errors.As(err, &ue) {
				t.Fatalf("error %T", err)
			}
			return
		}
		if len(raw) > MaxURLLength || u.Scheme != "https" || u.Host == "" || u.User != nil {
			t.Fatalf("accepted %q", raw)
		}
		if a, err := netip.ParseAddr(u.Hostname()); err == nil && Blocked(a) {
			t.Fatalf("accepted blocked address %q", raw)
		}
		if h := normHost(u.Hostname()); h == "localhost" || strings.HasSuffix(h, ".localhost") {
			t.Fatalf("accepted localhost %q", raw)
		}
		// What the HTTP client will parse is the same URL.
		if again, err := url.Parse(raw); err != nil || again.Host != u.Host {
			t.Fatalf("reparse %q: %v", raw, err)
		}
	})
}
