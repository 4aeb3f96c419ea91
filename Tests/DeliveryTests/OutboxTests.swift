import Agent
@testable import Delivery
import Foundation
import TestSupport
import Testing
