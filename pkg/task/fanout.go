package task

import "strconv"

// TypeContestSimChunk is the task type of one chunk of a fanned-out
// contest_sim job: a range of its sims, run by any worker; the partial sums
// are stored in Redis and merged by the last chunk to finish.
const TypeContestSimChunk = "contest_sim_chunk"

// ChunkPayload is the payload of a contest_sim_chunk task. It carries no
// request: the job's request document is stored once for all its chunks
// (jobstore.StartFanOut) and read by reference, the job id.
type ChunkPayload struct {
	// JobID is the fanned-out contest_sim job.
	JobID string `json:"job_id"`
	// Principal owns the job; RequestID and Traceparent are the submitting
	// request's.
	Principal   string `json:"principal"`
	RequestID   string `json:"request_id,omitempty"`
	Traceparent string `json:"traceparent,omitempty"`
	// Chunk is this chunk's index in [0, Chunks).
	Chunk  int `json:"chunk"`
	Chunks int `json:"chunks"`
	// SimStart and SimEnd are the sims [SimStart, SimEnd) of the chunk.
	SimStart int `json:"sim_start"`
	SimEnd   int `json:"sim_end"`
	// CalibrationID is the concrete calibration the parent resolved the
	// request's calibration_id to (it pins "latest"), so that every chunk
	// simulates with the same calibration; "" when the request names none.
	CalibrationID string `json:"calibration_id,omitempty"`
}

// ChunkTaskID returns the task id of a chunk of a job: unique per chunk, so
// a redelivered parent enqueues nothing twice, and known to the gateway, so
// a cancel can delete the chunks still queued.
func ChunkTaskID(jobID string, chunk int) string {
	return jobID + ":chunk:" + strconv.Itoa(chunk)
}
