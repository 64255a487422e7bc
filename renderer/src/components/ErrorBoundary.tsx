import { Component, type ErrorInfo, type ReactNode } from 'react';

/** Keeps one broken page from taking down the shell; shows the error message as plain text. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error('page crashed', error, info.componentStack);
  }

  override render() {
    if (this.state.error) {
      return (
        <div className="callout callout-error" role="alert" data-testid="page-error">
          <strong>This page failed to render.</strong> {this.state.error.message}
        </div>
      );
    }
    return this.props.children;
  }
}
