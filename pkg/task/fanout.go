package task

// TypeContestSimChunk is the task type of one chunk of a fanned-out
// contest_sim job: a range of its sims, run by any worker; the partial sums
// are stored in Redis and merged by the last chunk to finish.
const TypeContestSimChunk = "contest_sim_chunk"

// ChunkPayload is the payload of a contest_sim_chunk task.
type ChunkPayload struct {
	// Parent is the contest_sim job's own payload (request included: every
	// chunk rebuilds the same prepared contest from it).
	Parent Payload `json:"parent"`
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
