// The security keys page lists the new key once django-otp-webauthn's script has registered it.
document.addEventListener("otp_webauthn.register_complete", () => window.location.reload());
