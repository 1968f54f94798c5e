// Package portable is XEP-0227 import/export: it moves users, their SCRAM
// credentials, rosters, pending subscription requests, offline messages
// and vCards (vcard-temp) between a Parley store and the Portable
// Import/Export Format (urn:xmpp:pie:0) that ejabberd
// (ejabberdctl export_piefxis / import_piefxis) and Prosody
// (prosody-migrator, xep0227 storage) read and write.
//
// Import streams its input with encoding/xml, holding one <user/> element
// at a time, follows relative XIncludes (ejabberd writes one file per
// host), checks everything before writing anything, then writes accounts
// in batches through store.Importer, one transaction per batch, while
// SCRAM keys for clear-text passwords are derived on all cores. It reads
// what the real exporters write, quirks included: ejabberd's doubly
// base64-encoded SCRAM values, Prosody's repeated <scram-credentials/>
// and namespace-less <presence/> subscription requests, the pre-1.0
// namespace. Data Parley has no place for (private XML, privacy lists,
// PEP, archives) is skipped with a warning, as XEP-0227 §4 asks.
//
// Export writes one document, hosts and users sorted, so the output is
// stable: export, import elsewhere, export again gives the same bytes
// apart from what the second server adds.
//
// Concurrency: Import runs a reader goroutine, a key-derivation stage
// with up to Workers goroutines and writes from the caller's goroutine;
// Export reads users on Readers goroutines and writes in order. Neither
// holds locks of its own; the store handles concurrency.
package portable
