import { create } from 'zustand';

/** UI-only state (never server data): theme, inventory filters and sort, panel toggles. */

export type Theme = 'dark' | 'light';
const THEME_KEY = 'gatehouse.theme';
const SOURCES_KEY = 'gatehouse.sourcesOpen';

/** The inventory's Sources panel: as the user left it (remembered per profile); by default open on wide windows. */
function initialSourcesOpen(): boolean {
  try {
    if (typeof window === 'undefined') return true;
    const saved = window.localStorage.getItem(SOURCES_KEY);
    if (saved !== null) return saved !== '0';
    // Unless chosen, a narrow window starts with the rail: the table keeps the width.
    return window.innerWidth >= 1280;
  } catch {
    return true;
  }
}

function initialTheme(): Theme {
  if (typeof window === 'undefined') return 'dark';
  try {
    const saved = window.localStorage.getItem(THEME_KEY);
    if (saved === 'dark' || saved === 'light') return saved;
  } catch {
    // storage unavailable: fall through to the system preference
  }
  return window.matchMedia?.('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  document.documentElement.style.colorScheme = theme;
}

export type InventorySortKey = 'client' | 'scope' | 'name' | 'transport' | 'target' | 'source' | 'disabled';
export interface InventorySort {
  key: InventorySortKey;
  dir: 'asc' | 'desc';
}
export interface InventoryFilters {
  text: string;
  client: string;
  scope: string;
  transport: string;
}
export const EMPTY_FILTERS: InventoryFilters = { text: '', client: '', scope: '', transport: '' };

interface UiState {
  theme: Theme;
  toggleTheme: () => void;
  inventoryFilters: InventoryFilters;
  setInventoryFilter: <F extends keyof InventoryFilters>(field: F, value: InventoryFilters[F]) => void;
  clearInventoryFilters: () => void;
  inventorySort: InventorySort;
  sortInventoryBy: (key: InventorySortKey) => void;
  sourcesOpen: boolean;
  setSourcesOpen: (open: boolean) => void;
}

export const useUi = create<UiState>((set) => ({
  theme: initialTheme(),
  toggleTheme: () =>
    set((s) => {
      const theme: Theme = s.theme === 'dark' ? 'light' : 'dark';
      try {
        window.localStorage.setItem(THEME_KEY, theme);
      } catch {
        // not persisted; still applied
      }
      return { theme };
    }),
  inventoryFilters: EMPTY_FILTERS,
  setInventoryFilter: (field, value) => set((s) => ({ inventoryFilters: { ...s.inventoryFilters, [field]: value } })),
  clearInventoryFilters: () => set({ inventoryFilters: EMPTY_FILTERS }),
  inventorySort: { key: 'client', dir: 'asc' },
  sortInventoryBy: (key) =>
    set((s) => ({
      inventorySort:
        s.inventorySort.key === key
          ? { key, dir: s.inventorySort.dir === 'asc' ? 'desc' : 'asc' }
          : { key, dir: 'asc' },
    })),
  sourcesOpen: initialSourcesOpen(),
  setSourcesOpen: (sourcesOpen) => {
    try {
      window.localStorage.setItem(SOURCES_KEY, sourcesOpen ? '1' : '0');
    } catch {
      // not persisted; still applied
    }
    set({ sourcesOpen });
  },
}));
