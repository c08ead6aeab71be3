package queue

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
)

// TestTheStepsAJobPublishesAtOnceSpreadOverTheShards: the text formats
// made from the outline are published together; on 8 shards no shard
// gets more than the two the emulator pushes at once, and on as many
// shards as formats every one gets its own, whatever the job.
func TestTheStepsAJobPublishesAtOnceSpreadOverTheShards(t *testing.T) {
	var derived []content.Format
	for _, f := range content.TextFormats() {
		if f != content.FormatOutline {
			derived = append(derived, f)
		}
	}
	for _, n := range []int{8, len(derived)} {
		for i := range 200 {
			job := fmt.Sprintf("job%03d", i)
			for _, version := range []int{1, 2} {
				count := map[int]int{}
				for _, f := range derived {
					s := shardOf(pipeline.StepMessage{JobID: job, Step: f, Version: version}, n)
					assert.True(t, s >= 0 && s < n, "shard %d of %d", s, n)
					count[s]++
				}
				for s, c := range count {
					assert.LessOrEqual(t, c, (len(derived)+n-1)/n, "%s v%d: %d formats on shard %d of %d", job, version, c, s, n)
				}
			}
		}
	}
}
