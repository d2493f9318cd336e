package jobs

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/dfsopt/dfsopt/pkg/jobstore"
)

// storedDataField reports whether a request field names data stored apart
// from the request (slates, calibrations): such requests are never served
// from the result cache, as that data may change.
func storedDataField(name string) bool {
	switch name {
	case "slate_id", "slate_ids", "source", "calibration_id":
		return true
	}
	return false
}

// cacheKeyOf returns the result cache key of a submission: the hex SHA-256
// of its job type, feature flags and canonical request document (keys
// sorted, no insignificant space; the seed is part of it), per principal.
// "" when the request is not cacheable.
func cacheKeyOf(sub Submission, flags []string) string {
	if sub.NoCache {
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(sub.Body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil || refersToStoredData(doc) {
		return ""
	}
	canon, err := json.Marshal(doc)
	if err != nil {
		return ""
	}
	return jobstore.CacheKey(sub.Principal.ID, hexSHA256([]byte(sub.Kind.Type), []byte(strings.Join(flags, ",")), canon))
}

func refersToStoredData(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if (storedDataField(k) && x != nil) || refersToStoredData(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if refersToStoredData(x) {
				return true
			}
		}
	}
	return false
}
