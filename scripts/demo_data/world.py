"""The simulated world's parameters: archetypes and how they behave, the catalogue, names, places."""

import numpy as np

ARCHETYPES = ["highly_engaged_buyer", "engaged_browser", "infrequent_buyer", "inactive"]
ARCHETYPE_SHARE = [0.15, 0.25, 0.30, 0.30]
# Purchases per day while active, campaign open probability, click given open,
# web sessions per day, mean days before dropping out.
PURCHASE_RATE = np.array([1 / 15, 1 / 300, 1 / 75, 1 / 1500])
OPEN_PROB = np.array([0.6, 0.5, 0.12, 0.02])
CLICK_PROB = np.array([0.35, 0.25, 0.10, 0.05])
SESSION_RATE = np.array([1 / 20, 1 / 8, 1 / 120, 1 / 1000])
DROPOUT_MEAN_DAYS = np.array([3000, 2500, 1500, 120])

# (category, accessory category or "", is consumable, price median in base currency)
CATEGORIES = [
    ("Cameras", "Camera Accessories", False, 450.0),
    ("Camera Accessories", "", False, 35.0),
    ("Laptops", "Laptop Accessories", False, 900.0),
    ("Laptop Accessories", "", False, 40.0),
    ("Coffee Machines", "Coffee Pods", False, 220.0),
    ("Coffee Pods", "", True, 9.0),
    ("Bikes", "Cycling Gear", False, 650.0),
    ("Cycling Gear", "", False, 45.0),
    ("Skincare", "", True, 18.0),
    ("Books", "", False, 14.0),
    ("Kitchen", "", False, 30.0),
    ("Toys", "", False, 25.0),
]
BRANDS = ["Acme", "Nordlys", "Kestrel", "Umbra", "Vantage", "Halcyon", "Pico", "Orrin"]
ADJECTIVES = ["Classic", "Pro", "Lite", "Max", "Eco", "Urban", "Trail", "Studio", "Mini", "Plus"]
FIRST_NAMES = [
    "Ava",
    "Ben",
    "Chloe",
    "Dan",
    "Ella",
    "Finn",
    "Grace",
    "Hugo",
    "Isla",
    "Jack",
    "Kai",
    "Lena",
    "Max",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
]
LAST_NAMES = [
    "Smith",
    "Jones",
    "Brown",
    "Müller",
    "Garcia",
    "Tanaka",
    "Wilson",
    "Taylor",
    "Nguyen",
    "Martin",
    "Rossi",
    "Kowalski",
    "Evans",
    "Walker",
    "Khan",
    "Silva",
]
DOMAINS = ["example.com", "mail.example.org", "shopper.example.net", "inbox.example.co.uk"]
# IANA zone, country spellings as a messy CRM holds them (ISO-2, ISO-3, names, aliases)
ZONES = [
    ("Europe/London", ["GB", "GBR", "United Kingdom", "UK", " uk ", "Great Britain"]),
    ("Europe/Berlin", ["DE", "DEU", "Germany", "Deutschland", "de"]),
    ("America/New_York", ["US", "USA", "United States", "U.S.A.", "United States of America"]),
    ("America/Los_Angeles", ["US", "usa", "United States"]),
    ("Europe/Dublin", ["IE", "IRL", "Ireland", "EIRE"]),
    ("Asia/Tokyo", ["JP", "JPN", "Japan"]),
    ("Australia/Sydney", ["AU", "AUS", "Australia"]),
]
ZONE_SHARE = [0.40, 0.12, 0.18, 0.10, 0.06, 0.07, 0.07]
PREFERRED_HOURS = np.array([7, 8, 12, 13, 18, 19, 20, 21])
CURRENCIES = {"GBP": 1.0, "EUR": 1.17, "USD": 1.27}  # units per 1 GBP, matches seeds/exchange_rates.csv
