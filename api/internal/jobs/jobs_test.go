package jobs

import "testing"

func TestJobIDs(t *testing.T) {
	id := NewJobID()
	if !ValidJobID(id) || NewJobID() == id {
		t.Fatalf("NewJobID: %q", id)
	}
	for _, bad := range []string{"", "job_", "job_xyz", "JOB_" + id[4:], id + "0", "job_" + id[4:35] + "G", "x:job:" + id} {
		if ValidJobID(bad) {
			t.Errorf("ValidJobID(%q)", bad)
		}
	}
}
