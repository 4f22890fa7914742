// Tell the server the browser's time zone once (a cookie), so that times are shown in it
// until the person chooses one on the preferences page. No inline script: CSP allows 'self'.
(function () {
  "use strict";
  if (document.cookie.split("; ").some(function (c) { return c.indexOf("tz=") === 0; })) return;
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax";
  } catch (error) { /* an old browser: the server's TIME_ZONE it is */ }
})();
