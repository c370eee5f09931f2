// The API docs page: Swagger UI (vendored) over /openapi.json, from a file, as the CSP wants.
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    domNode: root,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // The validator badge would load an image from another site: the CSP refuses it.
    validatorUrl: null,
  });
});
