package memory

import (
	"testing"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return New() })
}
