// Package watch is the spy feed: a record of every message an endpoint
// handles, delivered to the connections that subscribed to it through the
// reserved SpyID message.
//
// The feed costs nothing while nobody watches: the endpoint's loop checks
// one atomic pointer (its Tap) per message, and the Feed installs itself
// there only while it has subscribers. Each subscriber has a fixed ring of
// records; when a subscriber polls too slowly the ring overflows and further
// records are dropped and counted, never waited for, so a spy can never slow
// the endpoint down.
//
// A subscriber polls with a Send of SpyID: W is how long to wait for the
// first record, in milliseconds (at most a second); the data is its Filter
// as JSON. The reply carries a batch, encoded as described at EncodeBatch.
package watch
