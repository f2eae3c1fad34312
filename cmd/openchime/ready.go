package main

import (
	"context"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/httpapi"
)

// applyReady tells the API server what GET /_openchime/info reports and how
// GET /_openchime/ready checks the store. The check reads store itself, not
// the instrumented store the Service has, so probes do not count as store
// operations in /metrics.
func (m *Main) applyReady(api *httpapi.Server, kind string, store openchime.Store) {
	b := buildVersion()
	api.Info = httpapi.Info{Version: b.Version, Revision: b.Revision, Modified: b.Modified,
		Store: kind, Auth: m.Config.Security.Auth, IAM: m.Config.Security.IAM}
	api.Ready = storeReady(kind, store)
}

// storeReady is the readiness check of a store of kind: a one-account read
// (httpapi.StoreReady), and for the log store an empty transaction too. The
// log store answers that one without writing, from whether its log failed
// (a failed fsync): a read alone can pass on a log that refuses writes.
func storeReady(kind string, store openchime.Store) func(context.Context) error {
	read := httpapi.StoreReady(store)
	if kind != kindLog {
		return read
	}
	return func(ctx context.Context) error {
		if err := read(ctx); err != nil {
			return err
		}
		return store.Update(ctx, func(openchime.Tx) error { return nil })
	}
}
