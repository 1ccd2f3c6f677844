import type { EventData } from '../../../model/batch.ts';
import type { PRODUCT_ACTIONS } from '../../../model/event-types.ts';

/**
 * A commerce event's product action, read as the batch schema has already checked it, and the
 * names mParticle's forwarders give what they expand it into. Partners that take flat events
 * receive one event per product (`eCommerce - Purchase - Item`), with the product's and the
 * transaction's fields under the property names the integration pages list (`Transaction Id`,
 * `Total Product Amount`, ...).
 */

export type ProductActionName = (typeof PRODUCT_ACTIONS)[number];

export interface Product {
  readonly id?: string | null;
  readonly name?: string | null;
  readonly brand?: string | null;
  readonly category?: string | null;
  readonly variant?: string | null;
  readonly position?: number | null;
  readonly price?: number | null;
  readonly quantity?: number | null;
  readonly coupon_code?: string | null;
  readonly total_product_amount?: number | null;
  readonly custom_attributes?: Readonly<Record<string, unknown>> | null;
}

export interface ProductAction {
  readonly action: ProductActionName;
  readonly checkout_step?: number | null;
  readonly checkout_options?: string | null;
  readonly product_action_list?: string | null;
  readonly product_list_source?: string | null;
  readonly transaction_id?: string | null;
  readonly affiliation?: string | null;
  readonly total_amount?: number | null;
  readonly tax_amount?: number | null;
  readonly shipping_amount?: number | null;
  readonly coupon_code?: string | null;
  readonly products: readonly Product[];
}

/** The event's product action with its products (none when it has no product list); null for promotion and impression events. */
export function productActionOf(data: EventData): ProductAction | null {
  const raw = data.product_action as (Omit<ProductAction, 'products'> & { products?: readonly Product[] | null }) | null | undefined;
  if (!raw) return null;
  return { ...raw, products: raw.products ?? [] };
}

/** The event's currency: its `currency_code`, else null (partners default it). */
export function currencyOf(data: EventData): string | null {
  return typeof data.currency_code === 'string' && data.currency_code !== '' ? data.currency_code : null;
}

/** The action's name in expanded event names (Amplitude's page): `eCommerce - <name>`, `eCommerce - <name> - Item`. */
export const ACTION_NAMES: Readonly<Record<ProductActionName, string>> = {
  add_to_cart: 'AddToCart',
  remove_from_cart: 'RemoveFromCart',
  checkout: 'Checkout',
  checkout_option: 'CheckoutOption',
  click: 'Click',
  view_detail: 'ViewDetail',
  purchase: 'Purchase',
  refund: 'Refund',
  add_to_wishlist: 'AddToWishlist',
  remove_from_wishlist: 'RemoveFromWishlist',
  remove_from_wish_list: 'RemoveFromWishlist',
};

/** An expanded event's name: the transaction's (`eCommerce - Purchase`), a product's (`... - Item`) or a refund's total (`... - Total`). */
export function commerceEventName(action: ProductActionName, level: 'transaction' | 'item' | 'total'): string {
  const base = `eCommerce - ${ACTION_NAMES[action]}`;
  return level === 'transaction' ? base : `${base} - ${level === 'item' ? 'Item' : 'Total'}`;
}

type Fields = Record<string, string | number>;

function put(into: Fields, key: string, value: string | number | null | undefined): void {
  if (value !== null && value !== undefined && value !== '') into[key] = value;
}

/** A product's fields, by the names the integration pages list (`Id`, `Name`, `Price`, `Quantity`, `Total Product Amount`, ...). */
export function productFields(p: Product): Fields {
  const f: Fields = {};
  put(f, 'Id', p.id);
  put(f, 'Name', p.name);
  put(f, 'Category', p.category);
  put(f, 'Brand', p.brand);
  put(f, 'Variant', p.variant);
  put(f, 'Position', p.position);
  put(f, 'Price', p.price);
  put(f, 'Quantity', p.quantity);
  put(f, 'Coupon Code', p.coupon_code);
  put(f, 'Total Product Amount', p.total_product_amount);
  return f;
}

/** The transaction's fields (`Transaction Id`, `Total Amount`, `Tax Amount`, `Shipping Amount`, ...), with the currency. */
export function transactionFields(a: ProductAction, currency: string | null): Fields {
  const f: Fields = {};
  put(f, 'Transaction Id', a.transaction_id);
  put(f, 'Affiliation', a.affiliation);
  put(f, 'Total Amount', a.total_amount);
  put(f, 'Tax Amount', a.tax_amount);
  put(f, 'Shipping Amount', a.shipping_amount);
  put(f, 'Coupon Code', a.coupon_code);
  put(f, 'Checkout Step', a.checkout_step);
  put(f, 'Checkout Options', a.checkout_options);
  put(f, 'Product Action List', a.product_action_list);
  put(f, 'Product List Source', a.product_list_source);
  put(f, 'Currency Code', currency);
  return f;
}

/** The transaction's total: its `total_amount`, else the sum of its products' (`total_product_amount`, else price × quantity). */
export function transactionTotal(a: ProductAction): number {
  if (typeof a.total_amount === 'number') return a.total_amount;
  return a.products.reduce((sum, p) => sum + (p.total_product_amount ?? (p.price ?? 0) * (p.quantity ?? 1)), 0);
}
