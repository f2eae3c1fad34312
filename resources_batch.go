package openchime

import "context"

// prefetchResources reads the resources with the keys in one round trip
// where the store can (ResourceBatchReader), so that a batch's per-item
// steps, which read them one Resource call at a time, find them already
// read. Other stores skip it: reading each key here as well would double
// their reads.
func prefetchResources(ctx context.Context, tx ReadTx, keys []ResourceKey) error {
	b, ok := tx.(ResourceBatchReader)
	if !ok || len(keys) == 0 {
		return nil
	}
	_, err := b.ResourcesByKey(ctx, keys)
	return err
}
