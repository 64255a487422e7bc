/** What a page that does not exist yet shows: says so plainly, with no invented data. */
export function NotBuilt({ id, title, purpose }: { id: string; title: string; purpose: string }) {
  return (
    <section className="page" data-testid={`page-${id}`} aria-labelledby={`page-title-${id}`}>
      <header className="page-header">
        <h1 id={`page-title-${id}`}>{title}</h1>
      </header>
      <div className="not-built" role="note">
        <p className="not-built-title">Not built yet</p>
        <p>{purpose}</p>
      </div>
    </section>
  );
}
