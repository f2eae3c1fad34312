// Package openchime is the domain of OpenChime, an open reimplementation of the
// Amazon Chime administration API (service Chime, API 2018-05-01).
//
// It holds the accounts and users, the users' state machine, the one error
// type carrying the Chime error codes, the ports the rest of the program plugs
// into (Store, Clock, IDGen, FaultInjector) and the Service, which implements
// every administration rule once, above the Store. Subpackages wrap one
// dependency each: sqlite and postgres persist, httpapi speaks the wire
// protocol, cmd/openchime ties them together. The test and operator
// machinery lives beside the domain, not in it: faults (injected failures),
// fixture (seeded accounts and users) and snapshot (the whole state as one
// file).
package openchime
