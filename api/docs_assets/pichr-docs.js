// Starts the packaged Scalar API reference on the docs page (api/wire/docs_page.py).
// Nothing leaves this server: no fonts, telemetry or AI agent from elsewhere.
(function () {
  var mount = document.getElementById("pichr-docs");
  window.Scalar.createApiReference(mount, {
    url: mount.dataset.document,
    withDefaultFonts: false,
    telemetry: false,
    agent: { disabled: true },
    hideClientButton: false,
    persistAuth: false,
    defaultOpenAllTags: true,
    preferredSecurityScheme: "bearer",
  });
})();
