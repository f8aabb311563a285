// Starts Swagger UI on Pelita's OpenAPI document. A file of its own, not an
// inline script, so that the page's Content Security Policy can forbid
// inline scripts. Everything comes from this origin.
"use strict";
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    // Never send the document to an outside validator, and never take a
    // document or configuration from the page's URL.
    validatorUrl: null,
    queryConfigEnabled: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
