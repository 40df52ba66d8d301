// Types of `#xen-api` (package.json#imports): those of src/xen-api.d.ts for the `xen-api` package. At run time
// `#xen-api` is the bundle scripts/vendor-bundles.mjs writes to dist/vendor/xen-api.js.
export * from 'xen-api';
