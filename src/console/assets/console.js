// The console's only script (served from the package; the CSP allows no other): copy buttons,
// confirmation before destructive forms, and one submission per form.

document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('[data-copy]') : null;
  if (!button) return;
  const source = document.getElementById(button.getAttribute('data-copy') || '');
  const status = button.parentElement ? button.parentElement.querySelector('.copy-status') : null;
  if (!source) return;
  navigator.clipboard.writeText(source.textContent || '').then(
    () => {
      if (status) status.textContent = 'Copied.';
    },
    () => {
      if (status) status.textContent = 'Copying failed: select the secret and copy it by hand.';
    },
  );
});

document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.getAttribute('data-confirm');
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  if (form.method.toLowerCase() !== 'post') return;
  if (form.dataset.submitted === 'yes') {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = 'yes';
});
