package jobstore

import (
	"fmt"

	"github.com/klauspost/compress/s2"
)

// Stored request documents (RequestKey, kept for replays) are compressed
// with S2 (github.com/klauspost/compress, already in the build through the
// Prometheus client): a slate's request is mostly player rows that repeat
// their member names, and compresses about 4 to 1. Redis then stores and
// receives a quarter of the bytes per submission: memory it has to grow
// is most of its CPU per submission in the load test. A packed document
// starts with packedMarker, which no JSON document starts with, so that
// documents stored before packing read as they are.

// packedMarker is the first byte of a packed request document.
const packedMarker = 0x00

// packRequest returns doc packed for storage.
func packRequest(doc []byte) []byte {
	n := s2.MaxEncodedLen(len(doc))
	if n < 0 {
		return doc // too large for S2 (gigabytes): stored as it is
	}
	out := make([]byte, 1+n)
	out[0] = packedMarker
	return out[:1+len(s2.Encode(out[1:], doc))]
}

// unpackRequest returns the request document stored as b (packed or not).
func unpackRequest(b []byte) ([]byte, error) {
	if len(b) == 0 || b[0] != packedMarker {
		return b, nil
	}
	doc, err := s2.Decode(nil, b[1:])
	if err != nil {
		return nil, fmt.Errorf("unpack stored request: %w", err)
	}
	return doc, nil
}
