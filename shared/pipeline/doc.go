// Package pipeline is where the job's rules live: the step graph (which
// step is made from which), jobs and their states, admission and
// settlement against each owner's limits (Rules), and the step runner that
// claims a step under a renewed lease, resumes from a stored result or
// runs the step's Executor, stores its artifacts write-once, and ends it in
// one transaction fenced to the attempt that holds the claim, fanning out
// to the steps that became ready.
//
// It works through small ports (Store and its Tx, Blobs, Publisher,
// Events) with value types of its own, and imports no adapter and no
// cloud SDK: Firestore (store), Cloud Storage (blob) and Pub/Sub (queue)
// implement the ports, and pipelinetest holds in-memory ones. Failures are
// the portable kinds of package failure.
package pipeline
