// Starts Swagger UI (from swagger-ui-dist, loaded before this file) on the API's document.

(() => {
  const element = document.getElementById("swagger-ui");
  if (!element || typeof SwaggerUIBundle !== "function") return;
  SwaggerUIBundle({
    url: element.dataset.url,
    domNode: element,
    deepLinking: false,
    // No call to an outside validator: the page may only talk to this site.
    validatorUrl: null,
    tryItOutEnabled: false,
  });
})();
