// The API docs page (/api/v1/docs): Swagger UI on our OpenAPI document. No inline script:
// the document's URL and the CSRF token come from data attributes on <body>.
(function () {
  "use strict";
  var data = document.body.dataset;
  window.SwaggerUIBundle({
    url: data.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // Calls made from the page with the signed-in session carry the CSRF token, as the
    // API requires of browsers; calls with a token ("Authorize") do not need it.
    requestInterceptor: function (request) {
      request.headers["X-CSRFToken"] = data.csrfToken;
      return request;
    },
  });
})();
