package task

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// decodedLikeMarshal checks that Encode's payload decodes to what
// json.Marshal's payload of p decodes to (the request up to spacing).
func decodedLikeMarshal(t *testing.T, p *Payload) {
	t.Helper()
	enc, err := p.Encode()
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if !json.Valid(enc) {
		t.Fatalf("Encode wrote invalid JSON: %s", enc)
	}
	ref, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var got, want Payload
	if err := json.Unmarshal(enc, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(ref, &want); err != nil {
		t.Fatal(err)
	}
	var gotReq, wantReq bytes.Buffer
	if err := json.Compact(&gotReq, got.Request); err != nil {
		t.Fatal(err)
	}
	if err := json.Compact(&wantReq, want.Request); err != nil {
		t.Fatal(err)
	}
	if gotReq.String() != wantReq.String() {
		t.Fatalf("request: %s, want %s", gotReq.String(), wantReq.String())
	}
	got.Request, want.Request = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("payload: %+v, want %+v", got, want)
	}
}

func TestPayloadEncode(t *testing.T) {
	for _, p := range []*Payload{
		{JobID: "job_1", Request: []byte(`{"site":"dk"}`), Principal: "alice", RequestID: "r1"},
		{JobID: "job_2", Request: []byte(" \n{\n  \"a\": [1, 2.5e3, \"x\\\"y\"],\n  \"b\": null\n}\n\t"), Principal: "key_9",
			RequestID: "quote\"back\\slash<tag>\u2028\x01", Traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
			Flags: []string{"exact_duals", "é"}},
		{JobID: "job_3", Request: []byte(`[]`), Principal: "p", Flags: []string{}},
	} {
		decodedLikeMarshal(t, p)
	}
	if _, err := (&Payload{JobID: "j", Principal: "p", Request: []byte("  ")}).Encode(); err == nil {
		t.Fatal("Encode accepted a payload without a request")
	}
}

// FuzzPayloadEncode: for any valid request document and any strings,
// Encode's payload reads back as json.Marshal's does.
func FuzzPayloadEncode(f *testing.F) {
	f.Add(`{"site":"dk","sport":"nba"}`, "job_1", "alice", "r1", "", "flag")
	f.Add(" [1, {\"a\": \"\\u00e9\"}] ", "j\"", "p\\", "\x00\xff", "00-x", "")
	f.Fuzz(func(t *testing.T, req, id, principal, requestID, traceparent, flag string) {
		if !json.Valid([]byte(req)) {
			return
		}
		p := &Payload{JobID: id, Request: []byte(req), Principal: principal, RequestID: requestID, Traceparent: traceparent}
		if flag != "" {
			p.Flags = []string{flag}
		}
		decodedLikeMarshal(t, p)
	})
}
