// Package offline names the factory's deterministic backends, which need
// no network and no credentials: they are the default of the local stack
// (FACTORY_AI=offline) and of the tests. Each lives in a subpackage named
// after what it makes:
//
//   - extract writes every text format by extraction from the request's
//     source text, or from templates when there is none;
//   - cover draws a procedural PNG cover from a hash of the title;
//   - espeak narrates a podcast script with the espeak-ng command and
//     encodes it as one MP3 with the lame command.
//
// What they share is the backend name every offline call records.
package offline

// Backend is the backend name recorded in the usage (ai.Call) of every
// offline call.
const Backend = "offline"
