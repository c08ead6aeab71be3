package store_test

import (
	"testing"

	"contentfactory.dev/factory/internal/testenv"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/pipeline/pipelinetest"
	"contentfactory.dev/factory/shared/store"
)

// TestMain runs the store against the Firestore emulator; with -short the
// tests skip themselves.
func TestMain(m *testing.M) { testenv.Main(m) }

func TestFirestoreStoreConformance(t *testing.T) {
	pipelinetest.StoreConformance(t, func(t *testing.T) pipeline.Store {
		return store.New(testenv.Firestore(t, testenv.Project(t)))
	})
}
