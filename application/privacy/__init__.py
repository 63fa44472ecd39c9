"""Crypto-shredding: subject keys outside the log, and the mapper that seals personal fields."""
